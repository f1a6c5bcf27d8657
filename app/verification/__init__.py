"""Verification of credentials through the library, resolving our own documents locally."""
