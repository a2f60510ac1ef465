"""Channel adapters: one plain-Python class per ``oms.channel.connector``.

``oms.channel._get_adapter_class()`` picks the class of a channel's connector; a
connector addon adds its value to ``connector`` and overrides that method.
"""

from .base import ChannelAdapter, ChannelError, NotAnOrder
from .file_import import FileAdapter
from .rest_json import RestJsonAdapter
from .shopify import ShopifyAdapter
from .woocommerce import WooCommerceAdapter

__all__ = [
    "ChannelAdapter",
    "ChannelError",
    "FileAdapter",
    "NotAnOrder",
    "RestJsonAdapter",
    "ShopifyAdapter",
    "WooCommerceAdapter",
]
