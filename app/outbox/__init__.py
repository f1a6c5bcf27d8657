"""The outbox: e-mails and webhook calls recorded with the change they announce, sent after
its commit by the job runner, with retries (see :mod:`app.models.outbox`)."""
