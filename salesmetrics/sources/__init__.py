"""Readers for CRM and billing exports: a vendor's objects to a validated SalesData, with its provenance.

- :func:`read_salesforce`: Opportunity, OpportunityHistory / OpportunityFieldHistory, Lead (and LeadHistory),
  Account, User and UserRole, Task and Event; Data Loader exports and Fivetran/Airbyte tables alike.
- :func:`read_hubspot`: deals (with the pipelines' stage metadata), contacts as leads, companies, owners and
  teams, engagements.
- :func:`read_stripe`: Subscription API objects (or the dashboard's export) and customers.

Each returns a :class:`~salesmetrics.SalesData` whose ``provenance`` says, for every canonical column, the
source field it came from, or "not available" and what that disables. Field and object names are read
whatever their spelling (``StageName``, ``stage_name``, ``Stage Name``); rows deleted in the source are
dropped and counted; every missing required field is named in one error with the option that supplies it.
"""

from ._common import NOT_AVAILABLE, disabled_by
from ._hubspot import read_hubspot
from ._salesforce import read_salesforce
from ._stripe import read_stripe

__all__ = ["NOT_AVAILABLE", "disabled_by", "read_hubspot", "read_salesforce", "read_stripe"]
