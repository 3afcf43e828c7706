"""Two-step log-in (2段階認証): TOTP from an authenticator app, with single-use recovery codes."""
