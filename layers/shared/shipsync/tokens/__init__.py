"""Tokens: the only code that mints provider tokens, and the requests workers send it."""
