# The walks' own fixtures: North's data as the API walk and the dashboard walk build it.
from tests.api.test_scoping import north_data  # noqa: F401
from tests.test_role_walk import mara_admin_only, nia_not_clinician, world  # noqa: F401
