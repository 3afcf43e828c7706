"""Verification: members ask to be verified, the secretariat decides, invites and ends verifications."""
