"""sibot: the core of a Telegram bot for a daily sacroiliac joint exercise routine.

Nothing in this package imports `telegram` or `handlers`; it talks to the outside through the
Protocols in `sibot.ports` and takes plain data in and out.
"""
