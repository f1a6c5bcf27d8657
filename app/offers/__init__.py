"""Offers: a learner's claim link to one credential, and copies bound to a wallet's DID."""
