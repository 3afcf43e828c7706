"""Accounts: registration, log-in, profiles and (for now, by CLI) roles."""
