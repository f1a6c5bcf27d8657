"""Micro-credential programs: stackable modules, completion rules, awards, CLR 2.0."""
