"""What happened in an onboarding, for whoever wants to react (the notifications app).

``checklist.services``, ``checklist.signoff`` and ``checklist.verification`` send these
inside the transaction of the change, after writing it; a receiver that writes rows (a
notification) therefore commits or rolls back together with the change. Every signal is
sent with ``sender=Onboarding`` and the keyword arguments named in its comment.
"""

from __future__ import annotations

from django.dispatch import Signal

# onboarding, signoff, actor
signoff_declared = Signal()
# onboarding, signoff, actor (approved or sent back: see signoff.state)
signoff_decided = Signal()
# onboarding, signoff, actor (a change made the approved values differ)
signoff_invalidated = Signal()
# onboarding, item, state, assignee, actor
item_assigned = Signal()
# onboarding, item, comment, mentioned (list of users), actor
comment_added = Signal()
# onboarding, run, actor (a connection check run that failed)
verification_failed = Signal()
# onboardings (those with stored secrets for the environment), environment, old, new (hosts
# by field), actor (the site operator who changed them)
environment_hosts_changed = Signal()

# onboarding, side ("authority", "provider" or "both": who holds it), message (may be ""),
# actor (a reminder: checklist.reminders)
reminder_sent = Signal()

# onboardings (ids, or a query of them), users (ids, or None for anybody): people who no
# longer take part in these onboardings (checklist.leaving)
participants_left = Signal()
