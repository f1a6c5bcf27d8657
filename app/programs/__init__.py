"""Micro-credential programs: stackable modules, completion rules, CLR 2.0, learner view."""
