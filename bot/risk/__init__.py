"""The risk engine: every order is checked against the account's rules before it is sent."""
