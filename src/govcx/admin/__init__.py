"""Administration: agencies, staff accounts, API keys and each agency's own set-up, with a log of every action."""
