from tests.once_only import *  # noqa: F403 - the shared cast of the once-only tests
