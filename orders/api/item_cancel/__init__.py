"""The item-cancel face: ``PUT /api/orderCancel`` for API partners (contracts/item-cancel.md)."""
