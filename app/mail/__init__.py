"""Notification e-mail to learners (issue 12, "Reaching learners"): an outbox channel.

The fan-out (:mod:`app.mail.service`) turns ``credential.issued``, ``program.completed`` and
(when the issuer asks) ``credential.revoked`` events into ``email`` deliveries that hold every
fact the message needs; the sender (:mod:`app.mail.sender`) renders them at send time
(:mod:`app.mail.render`, en and zh-CN) and submits them over SMTP (:mod:`app.mail.smtp`), or,
in development without SMTP, stores them in the local mailbox shown at ``/dev/mail``
(:mod:`app.mail.devbox`). Installed by :func:`app.mail.subscribers.subscribe`.
"""
