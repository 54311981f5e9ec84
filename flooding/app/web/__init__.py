"""The local web app: the person's own pages, served on 127.0.0.1 by the process that owns
the session (demo, monitor, service) or by `flooding app` over the store alone.

`guard` keeps it private, `live` turns the session's view calls into Server-Sent Events,
`server` builds the aiohttp application and `pages` renders the sessions from the store.
"""
