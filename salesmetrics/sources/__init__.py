"""Readers for CRM and billing exports: a vendor's objects to a validated SalesData with its provenance."""
