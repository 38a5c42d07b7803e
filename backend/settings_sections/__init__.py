"""The sections of ``backend.settings``, one module per capability.

``backend/settings.py`` imports every one of them, in the order the environment was always
read in; each module reads the variables of its own capability. ``base`` holds the few
values the others share (where files go, DEBUG, the environment reader, Redis).
"""
