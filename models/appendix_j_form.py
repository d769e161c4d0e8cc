"""The commented Appendix J form `isa arrangement template` prints, every field filled in with
an example: a module of its own, so printing it loads no YAML or pydantic (models.appendix_j
parses what is filled in)."""

TEMPLATE = """\
# Appendix J: Partner Agency Information Sharing Arrangement
# Fill this in, then: isa arrangement draft THIS_FILE --as YOUR_EMAIL
# Every agency named under `parties` must already be registered (isa agency list).

title: "Early help referrals between Northshire Council and Northshire NHS Trust"

# §14: shared information may be used only for the purposes stated here.
purposes:
  - "Identify families who would benefit from early help"

# §6, §10: the lawful basis must be recorded before the arrangement can be submitted.
lawful_basis: "UK GDPR Article 6(1)(e) public task; Children Act 2004 s.10"
# Required when any data item is special category (UK GDPR Article 9 condition).
special_category_condition: "UK GDPR Article 9(2)(h) health or social care"
# How consent is gained or why it is not needed (§17-§23).
consent_basis: "Not relied on: statutory duty; families informed by privacy notice"

# Each party discloses, receives, or both. At least one must disclose and one receive.
parties:
  - agency: "Northshire County Council"
    role: discloser        # discloser | recipient | both
  - agency: "Northshire NHS Trust"
    role: recipient

# What is shared (§30). protective_marking:
#   unmarked | official | official_sensitive | secret | top_secret
data_items:
  - name: "Child's name, date of birth and address"
    description: "Identifiers needed to match records"
    protective_marking: official_sensitive
    statutory_restrictions: "Child protection information: share only with the named team (§16)"
    personal_data: true
    special_category: false
  - name: "Health visiting concerns"
    protective_marking: official_sensitive
    personal_data: true
    special_category: true

# How data moves between the parties.
transfer_method: "Secure email (TLS enforced) between named mailboxes"
# §10: transfers outside the EEA are refused unless adequacy is recorded; leave [] if none.
transfers_outside_eea: []
#  - country: "United States"
#    adequacy: "UK Extension to the EU-US Data Privacy Framework"

# §24-§31: how the data is secured and stored by the receiving parties, and who may access it.
security_arrangements: "Role-based access, MFA, audit logging; ISO 27001 certified"
storage_arrangements: "Case management system hosted in the UK"
access_arrangements: "Named early help practitioners only, on a need-to-know basis (§10)"

# §35-§37: how long the recipients keep the data and how they destroy it.
retention:
  period_months: 24
  rule: "Council retention schedule 4.2: early help records kept 2 years after case closure"
  disposal_method: "Secure deletion to NCSC guidance; paper cross-cut shredded"

# §31: how often the arrangement is reviewed, in months.
review_interval_months: 12
"""
