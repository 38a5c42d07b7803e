"""What the schema says about notifications beyond the endpoints: the push payloads."""

import copy

from notifications.push_contract import COMPONENTS


def add_push_payloads(result, generator, request, public):
    """Postprocessing hook: the push data components, which no operation returns (they
    arrive by FCM or APNs), so that a client generated from the schema types them too.
    Runs after unused components are dropped."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(copy.deepcopy(COMPONENTS))
    return result
