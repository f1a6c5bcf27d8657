"""Learner accounts: e-mail sign-in, the learner's addresses, and the browser session."""
