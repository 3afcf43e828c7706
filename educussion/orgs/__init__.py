"""Organisations: municipalities from the official code list, companies, universities."""
