from .sourcing import SourcingPlan, plan_sourcing
