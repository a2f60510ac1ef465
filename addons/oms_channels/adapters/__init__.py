"""Channel adapters: one plain-Python class per ``oms.channel.connector``."""

from .base import ChannelAdapter, ChannelError, NotAnOrder
from .file_import import FileAdapter
from .rest_json import RestJsonAdapter
from .shopify import ShopifyAdapter
from .woocommerce import WooCommerceAdapter

ADAPTERS = {
    "shopify": ShopifyAdapter,
    "woocommerce": WooCommerceAdapter,
    "rest_json": RestJsonAdapter,
    "file": FileAdapter,
    "manual": FileAdapter,
}

__all__ = ["ADAPTERS", "ChannelAdapter", "ChannelError", "NotAnOrder"]
