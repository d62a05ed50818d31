"""Shared test settings: hypothesis profiles (no deadline; few examples by default, so the suite
stays fast). HYPOTHESIS_PROFILE=thorough runs many more examples."""

import os

from hypothesis import settings

settings.register_profile("chainrule", deadline=None, max_examples=50)
settings.register_profile("thorough", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "chainrule"))
