"""Lucía reads every page in Spanish: the questions, the advice, her diary, her reminders."""

from datetime import timedelta

import pytest
import time_machine

from diary.models import Patient
from tests.web.conftest import BLOCK, client_id_of, csrf_of

pytestmark = pytest.mark.django_db


def test_lucias_check_in_and_answer_are_in_spanish(browser, lucia, block_of, link_to):
    block = block_of(lucia)
    landing = browser.get(link_to(lucia, block.checkins.get(key="h2")))
    page = browser.get(landing["Location"])

    text = page.content.decode()
    assert '<html lang="es">' in text
    assert "Su registro: 2 h después del bloqueo" in text
    assert "no la molestia donde entró la aguja" in text
    assert "Enviar mis respuestas" in text
    assert "Send my answers" not in text and "Your check-in" not in text

    sent = browser.post(
        landing["Location"],
        {
            "csrfmiddlewaretoken": csrf_of(page),
            "client_id": client_id_of(page),
            "pain_score": "2",
            "numbness": "right_leg",
        },
    )
    told = browser.get(sent["Location"]).content.decode()

    assert "Es normal notar la pierna dormida o débil" in told
    assert "No camine sin ayuda" in told
    assert "Su próximo registro:" in told
    assert lucia.entries.get().advice_message.startswith("Es normal notar la pierna")


def test_lucias_own_page_is_in_spanish_with_her_local_times(browser, lucia, block_of, link_to):
    block_of(lucia)
    with time_machine.travel(BLOCK + timedelta(hours=2, minutes=40), tick=False):
        home = browser.get(link_to(lucia)).content.decode()

    assert "Hola, Lucía Romero" in home
    assert "Sus próximos registros" in home
    # 10:55 UTC opens the 3 h check-in, due 11:00 UTC: 13:00 in Madrid in June.
    assert "miércoles 10 de junio, 13:00" in home
    assert "Vaya a urgencias o llame enseguida al 999" in home


def test_ana_switches_her_pages_to_spanish(browser, ana, block_of, link_to):
    block_of(ana)
    link = link_to(ana)
    with time_machine.travel(BLOCK + timedelta(hours=2, minutes=40), tick=False):
        home = browser.get(link)
        switched = browser.post(
            f"{link}/language/", {"csrfmiddlewaretoken": csrf_of(home), "language": "es"}
        )
        again = browser.get(link)

    assert switched.status_code == 303
    assert Patient.objects.get(pk=ana.pk).language == "es"
    assert "Hola, Ana Silva" in again.content.decode()


def test_a_refused_link_of_a_known_patient_is_in_their_language(browser, lucia, link_to):
    link = link_to(lucia)
    lucia.status = "ended"
    lucia.save(update_fields=["status"])

    page = browser.get(link).content.decode()

    assert "Este enlace no funciona" in page
    assert "Su diario ha terminado." in page


def test_an_unknown_link_follows_the_browsers_language(browser, db):
    page = browser.get("/c/not-a-real-token-at-all", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")

    assert "No reconocemos este enlace" in page.content.decode()
