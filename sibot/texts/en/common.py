"""Texts shared by every feature."""

MESSAGES = {
    "common.error": "Something went wrong; your data is safe. Please try again.",
    "common.db_unavailable": "I can't reach my notebook right now. Please try again in a minute.",
    "common.stale_button": "This step is over.",
    "common.unknown_command": "I don't know that command. Send /help to see what I can do.",
    "common.use_buttons": "Please use the buttons under my last message.",
    # the flood limit: a message at most once a window, a toast for every press held back
    "common.flood_notice": (
        "One moment, please: that was a lot at once. I'll answer what I have so far; "
        "send anything else again in a few seconds."
    ),
    "common.flood_toast": "One moment, please. Tap again in a few seconds.",
}
