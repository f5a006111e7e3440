"""The python-telegram-bot plumbing under the features: the HTTP transport and the send queue,
per-chat concurrency, the webhook server, running in a loop someone else owns, the start, the
error handler, the typed context, the sandbox, and the few PTB private parts in one place.

Nothing here imports a feature module of `handlers`; the features import from here.
"""
