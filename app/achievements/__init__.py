"""Achievements (versioned)."""
