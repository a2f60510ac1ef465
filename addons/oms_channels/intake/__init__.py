"""The intake's roles in plain Python (no ORM state of their own).

- :mod:`.mapper`: ``OrderMapper``, normalized orders onto ``sale.order`` values,
  with the import batch's look-up cache (``oms.channel._get_order_mapper()``);
- :mod:`.importer`: ``OrderImporter``, staged records into sales orders, as a
  batch and, when the batch fails, one record per savepoint;
- :mod:`.errors`: which failures the cron retries (transient) and which wait
  for a person (permanent).

The queue (staging, claiming, retry schedule) is the ``oms.channel.order.queue``
mixin of ``oms.channel.order``; the platform I/O is in ``adapters/``.
"""
