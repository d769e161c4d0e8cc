"""the register

Revision ID: 0001
Revises:
Create Date: 2026-11-25 14:57:13.199465
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('ico_registration', sa.String(), nullable=True),
    sa.Column('security_standard', sa.Enum('iso27001', 'dspt', 'other', name='securitystandard', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('status', sa.Enum('member', 'suspended', 'withdrawn', name='agencystatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_agency_name_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('name', name=op.f('uq_agency_name'))
    )
    op.create_table('arrangement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('lawful_basis', sa.Text(), nullable=True),
    sa.Column('special_category_condition', sa.Text(), nullable=True),
    sa.Column('consent_basis', sa.Text(), nullable=True),
    sa.Column('transfer_method', sa.Text(), nullable=True),
    sa.Column('security_arrangements', sa.Text(), nullable=True),
    sa.Column('storage_arrangements', sa.Text(), nullable=True),
    sa.Column('access_arrangements', sa.Text(), nullable=True),
    sa.Column('retention_months', sa.Integer(), nullable=False),
    sa.Column('retention_rule', sa.Text(), nullable=True),
    sa.Column('disposal_method', sa.Text(), nullable=True),
    sa.Column('review_interval_months', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'awaiting_approval', 'active', 'under_review', 'suspended', 'terminated', 'lapsed', 'disposal_pending', 'closed', name='arrangementstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('next_review_due', sa.Date(), nullable=True),
    sa.Column('drafted_by', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status = 'draft' OR (lawful_basis IS NOT NULL AND length(trim(lawful_basis)) > 0)", name=op.f('ck_arrangement_lawful_basis_required')),
    sa.CheckConstraint("status IN ('draft', 'awaiting_approval') OR next_review_due IS NOT NULL", name=op.f('ck_arrangement_approved_has_review_date')),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_arrangement_title_not_blank')),
    sa.CheckConstraint('retention_months >= 0', name=op.f('ck_arrangement_retention_nonnegative')),
    sa.CheckConstraint('review_interval_months BETWEEN 1 AND 60', name=op.f('ck_arrangement_review_interval_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_arrangement_version_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrangement')),
    sa.UniqueConstraint('reference', name=op.f('uq_arrangement_reference'))
    )
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('outcome', sa.Enum('done', 'refused', name='auditoutcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('subject_type', sa.String(), nullable=True),
    sa.Column('subject_ref', sa.String(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(), nullable=False),
    sa.Column('hash', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('chair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_chair_email_lower')),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_chair_name_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chair')),
    sa.UniqueConstraint('email', name=op.f('uq_chair_email'))
    )
    op.create_table('reference_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_counter')),
    sa.UniqueConstraint('prefix', 'year', name=op.f('uq_reference_counter_prefix'))
    )
    op.create_table('arrangement_party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('discloser', 'recipient', 'both', name='partyrole', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_arrangement_party_agency_id_agency')),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangement.id'], name=op.f('fk_arrangement_party_arrangement_id_arrangement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrangement_party')),
    sa.UniqueConstraint('arrangement_id', 'agency_id', name=op.f('uq_arrangement_party_arrangement_id'))
    )
    with op.batch_alter_table('arrangement_party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arrangement_party_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_arrangement_party_arrangement_id'), ['arrangement_id'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_contact_email_lower')),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_contact_name_not_blank')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_contact_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')),
    sa.UniqueConstraint('email', name=op.f('uq_contact_email'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_agency_id'), ['agency_id'], unique=False)

    op.create_table('data_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('protective_marking', sa.Enum('unmarked', 'official', 'official_sensitive', 'secret', 'top_secret', name='protectivemarking', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('statutory_restrictions', sa.Text(), nullable=True),
    sa.Column('personal_data', sa.Boolean(), nullable=False),
    sa.Column('special_category', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_data_item_name_not_blank')),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangement.id'], name=op.f('fk_data_item_arrangement_id_arrangement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_item'))
    )
    with op.batch_alter_table('data_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_item_arrangement_id'), ['arrangement_id'], unique=False)

    op.create_table('disposal_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('method', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'confirmed', name='disposaltaskstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(), nullable=True),
    sa.Column('certificate', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status = 'pending' OR (confirmed_at IS NOT NULL AND certificate IS NOT NULL)", name=op.f('ck_disposal_task_confirmation_recorded')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_disposal_task_agency_id_agency')),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangement.id'], name=op.f('fk_disposal_task_arrangement_id_arrangement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposal_task')),
    sa.UniqueConstraint('arrangement_id', 'agency_id', name=op.f('uq_disposal_task_arrangement_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_disposal_task_reference'))
    )
    with op.batch_alter_table('disposal_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposal_task_arrangement_id'), ['arrangement_id'], unique=False)

    op.create_table('overseas_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.Text(), nullable=False),
    sa.Column('adequacy', sa.Text(), nullable=False),
    sa.CheckConstraint('length(trim(adequacy)) > 0', name=op.f('ck_overseas_transfer_adequacy_not_blank')),
    sa.CheckConstraint('length(trim(country)) > 0', name=op.f('ck_overseas_transfer_country_not_blank')),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangement.id'], name=op.f('fk_overseas_transfer_arrangement_id_arrangement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overseas_transfer'))
    )
    with op.batch_alter_table('overseas_transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overseas_transfer_arrangement_id'), ['arrangement_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'open', 'completed', 'cancelled', name='reviewstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(), nullable=True),
    sa.Column('outcome', sa.Enum('renew', 'amend', 'terminate', name='reviewoutcome', native_enum=False, create_constraint=True), nullable=True),
    sa.CheckConstraint("(status = 'completed') = (outcome IS NOT NULL)", name=op.f('ck_review_outcome_iff_completed')),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangement.id'], name=op.f('fk_review_arrangement_id_arrangement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('arrangement_id', 'due_on', name=op.f('uq_review_arrangement_id'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_arrangement_id'), ['arrangement_id'], unique=False)

    op.create_table('suspension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raised_by', sa.String(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('meeting_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('raised', 'meeting_scheduled', 'meeting_held', 'ended', name='suspensionstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('meeting_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('meeting_held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('risk_assessment', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Enum('resume', 'continue', 'withdraw', name='meetingoutcome', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_at > meeting_deadline', name=op.f('ck_suspension_end_after_deadline')),
    sa.CheckConstraint('length(trim(reason)) > 0', name=op.f('ck_suspension_reason_not_blank')),
    sa.CheckConstraint('meeting_deadline > raised_at', name=op.f('ck_suspension_deadline_after_raise')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_suspension_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspension')),
    sa.UniqueConstraint('reference', name=op.f('uq_suspension_reference'))
    )
    with op.batch_alter_table('suspension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suspension_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('uq_suspension_one_open_per_agency', ['agency_id'], unique=True, sqlite_where=sa.text("status <> 'ended'"), postgresql_where=sa.text("status <> 'ended'"))

    op.create_table('access_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'revoked', name='accessgrantstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by', sa.String(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("(status = 'revoked') = (revoked_at IS NOT NULL AND revoked_reason IS NOT NULL)", name=op.f('ck_access_grant_revocation_recorded')),
    sa.CheckConstraint('length(trim(justification)) > 0', name=op.f('ck_access_grant_justification_not_blank')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_access_grant_agency_id_agency')),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangement.id'], name=op.f('fk_access_grant_arrangement_id_arrangement')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_access_grant_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grant')),
    sa.UniqueConstraint('reference', name=op.f('uq_access_grant_reference'))
    )
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_grant_arrangement_id'), ['arrangement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grant_contact_id'), ['contact_id'], unique=False)

    op.create_table('contact_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('signatory', 'nominated_representative', 'point_of_contact', 'dpo', name='contactrole', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_contact_role_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_role')),
    sa.UniqueConstraint('contact_id', 'role', name=op.f('uq_contact_role_contact_id'))
    )
    with op.batch_alter_table('contact_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_role_contact_id'), ['contact_id'], unique=False)

    op.create_table('meeting_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suspension_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('capacity', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['suspension_id'], ['suspension.id'], name=op.f('fk_meeting_attendance_suspension_id_suspension')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendance')),
    sa.UniqueConstraint('suspension_id', 'email', name=op.f('uq_meeting_attendance_suspension_id'))
    )
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendance_suspension_id'), ['suspension_id'], unique=False)

    op.create_table('sign_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('approved', 'rejected', name='signoffdecision', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_sign_off_agency_id_agency')),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangement.id'], name=op.f('fk_sign_off_arrangement_id_arrangement')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_sign_off_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_off')),
    sa.UniqueConstraint('arrangement_id', 'version', 'agency_id', name=op.f('uq_sign_off_arrangement_id'))
    )
    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_off_arrangement_id'), ['arrangement_id'], unique=False)

    op.create_table('training_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('course', sa.Text(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('expires_on IS NULL OR expires_on > completed_on', name=op.f('ck_training_record_expiry_after')),
    sa.CheckConstraint('length(trim(course)) > 0', name=op.f('ck_training_record_course_not_blank')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_training_record_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_record'))
    )
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_record_contact_id'), ['contact_id'], unique=False)

    op.create_table('withdrawal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raised_by', sa.String(), nullable=False),
    sa.Column('noticed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('notified', 'completed', name='withdrawalstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('suspension_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(trim(reason)) > 0', name=op.f('ck_withdrawal_reason_not_blank')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_withdrawal_agency_id_agency')),
    sa.ForeignKeyConstraint(['suspension_id'], ['suspension.id'], name=op.f('fk_withdrawal_suspension_id_suspension')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_withdrawal')),
    sa.UniqueConstraint('agency_id', name=op.f('uq_withdrawal_agency_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_withdrawal_reference'))
    )
    # the audit chain starts from the genesis hash
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')"))


def downgrade() -> None:
    op.drop_table('withdrawal')
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_record_contact_id'))

    op.drop_table('training_record')
    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_off_arrangement_id'))

    op.drop_table('sign_off')
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendance_suspension_id'))

    op.drop_table('meeting_attendance')
    with op.batch_alter_table('contact_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_role_contact_id'))

    op.drop_table('contact_role')
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_grant_contact_id'))
        batch_op.drop_index(batch_op.f('ix_access_grant_arrangement_id'))

    op.drop_table('access_grant')
    with op.batch_alter_table('suspension', schema=None) as batch_op:
        batch_op.drop_index('uq_suspension_one_open_per_agency', sqlite_where=sa.text("status <> 'ended'"), postgresql_where=sa.text("status <> 'ended'"))
        batch_op.drop_index(batch_op.f('ix_suspension_agency_id'))

    op.drop_table('suspension')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_arrangement_id'))

    op.drop_table('review')
    with op.batch_alter_table('overseas_transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overseas_transfer_arrangement_id'))

    op.drop_table('overseas_transfer')
    with op.batch_alter_table('disposal_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposal_task_arrangement_id'))

    op.drop_table('disposal_task')
    with op.batch_alter_table('data_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_item_arrangement_id'))

    op.drop_table('data_item')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_agency_id'))

    op.drop_table('contact')
    with op.batch_alter_table('arrangement_party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arrangement_party_arrangement_id'))
        batch_op.drop_index(batch_op.f('ix_arrangement_party_agency_id'))

    op.drop_table('arrangement_party')
    op.drop_table('reference_counter')
    op.drop_table('chair')
    op.drop_table('audit_head')
    op.drop_table('audit_event')
    op.drop_table('arrangement')
    op.drop_table('agency')
