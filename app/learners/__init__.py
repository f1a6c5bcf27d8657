"""The learner's own view of an issuer's credentials and programs, through a signed link."""
