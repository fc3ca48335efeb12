"""Writes to portfolios and evidence, one module per subject; everything is importable from
here. Services validate first, then write in one transaction with the rows they change locked,
and leave an audit event for everything that matters to an assessment."""

from evidence.services.assessment import (
    criteria_sign_off,
    observation_confirm,
    observation_return,
    observation_send,
    review_record,
    sign_off_withdraw,
    unit_countersign,
    unit_sign_off,
)
from evidence.services.common import AlreadyDecided, EvidenceLocked, StaleEdit
from evidence.services.items import (
    ASSESSOR_KINDS,
    DECLARATION,
    evidence_file_add,
    evidence_file_add_generated,
    evidence_file_delete,
    evidence_item_create,
    evidence_item_delete,
    evidence_item_submit,
    evidence_item_update,
    evidence_mappings_set,
)
from evidence.services.portfolios import portfolio_enrol, portfolio_update
from evidence.services.quality import (
    eqa_grant,
    eqa_revoke,
    iqa_sample_mark_seen,
    iqa_sample_record,
    sampling_plan_save,
)
from evidence.services.witness import (
    WitnessLinkClosed,
    WitnessLinkInvalid,
    witness_request_from_token,
    witness_request_send,
    witness_sign,
)

__all__ = [
    "ASSESSOR_KINDS",
    "DECLARATION",
    "AlreadyDecided",
    "EvidenceLocked",
    "StaleEdit",
    "WitnessLinkClosed",
    "WitnessLinkInvalid",
    "criteria_sign_off",
    "eqa_grant",
    "eqa_revoke",
    "evidence_file_add",
    "evidence_file_add_generated",
    "evidence_file_delete",
    "evidence_item_create",
    "evidence_item_delete",
    "evidence_item_submit",
    "evidence_item_update",
    "evidence_mappings_set",
    "iqa_sample_mark_seen",
    "iqa_sample_record",
    "observation_confirm",
    "observation_return",
    "observation_send",
    "portfolio_enrol",
    "portfolio_update",
    "review_record",
    "sampling_plan_save",
    "sign_off_withdraw",
    "unit_countersign",
    "unit_sign_off",
    "witness_request_from_token",
    "witness_request_send",
    "witness_sign",
]
