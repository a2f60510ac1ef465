"""Channel adapters: one plain-Python class per ``oms.channel.connector``.

``oms.channel._get_adapter_class()`` picks the class of a channel's connector; a
connector addon adds its value to ``connector`` and overrides that method.
"""

from .base import ChannelAdapter, ChannelError, NotAnOrder
from .douyin import DouyinAdapter
from .file_import import FileAdapter
from .jd import JdAdapter
from .pinduoduo import PinduoduoAdapter
from .rest_json import RestJsonAdapter
from .shopify import ShopifyAdapter
from .taobao import TaobaoAdapter
from .woocommerce import WooCommerceAdapter

__all__ = [
    "ChannelAdapter",
    "ChannelError",
    "DouyinAdapter",
    "FileAdapter",
    "JdAdapter",
    "NotAnOrder",
    "PinduoduoAdapter",
    "RestJsonAdapter",
    "ShopifyAdapter",
    "TaobaoAdapter",
    "WooCommerceAdapter",
]
