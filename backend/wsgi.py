import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

from backend.chunked import ChunkedBody

# A chunked body is read (gunicorn ends it for us) or refused, never taken for empty.
application = ChunkedBody(get_wsgi_application())
