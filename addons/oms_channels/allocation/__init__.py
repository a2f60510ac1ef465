from .engine import AllocationRule, allocate
