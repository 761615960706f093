"""The fixed parts of the demo country: its agencies, service catalogue and data catalogue.

Plain data, so a reader sees the whole government on one page. What varies with the seed
(shapes, people, businesses) is drawn elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from govcx.registry.models import Channel, Sensitivity, SubjectKind, ValueType

COUNTRY = "Valdoria"
CAPITAL_CITY = "Aurelia"
# Reserved names (RFC 2606), so no demo message can ever reach a real mailbox.
STAFF_DOMAIN = "gov.valdoria.example"
PERSON_MAIL_DOMAINS = ("example.org", "example.net", "example.com", "mail.example.org", "post.example.net")
# +999 is not assigned to any country, so demo numbers cannot ring a real phone.
PHONE_PREFIX = "+999"

# Short names keep the catalogue below one service a line: D is the service desk (in person).
W, A, P, D, E, M, S = (Channel.WEB, Channel.APP, Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL, Channel.MAIL,
                       Channel.SMS)


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    department: str
    name: str
    description: str
    channels: tuple[Channel, ...]
    target_minutes: int
    sla_hours: int


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    kind: str
    description: str
    departments: tuple[tuple[str, str], ...]
    services: tuple[ServiceSpec, ...]


def _svc(code: str, department: str, name: str, description: str, channels: tuple[Channel, ...],
         target_minutes: int, sla_hours: int) -> ServiceSpec:
    return ServiceSpec(code, department, name, description, channels, target_minutes, sla_hours)


AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        "POP", "Population and Digital Services Agency", "population register",
        "Keeps the population register and issues identity documents and the digital identity.",
        (("REG", "Population Register"), ("IDD", "Identity Documents"), ("ADR", "Address Register")),
        (
            _svc("POP-BIRTH", "REG", "Register a birth", "Register a newborn child and give them a personal "
                 "identity code.", (W, D), 20, 72),
            _svc("POP-MOVE", "ADR", "Report a change of address", "Tell government once that you moved; every "
                 "agency that needs your address is updated.", (W, A, D), 10, 48),
            _svc("POP-MARRY", "REG", "Register a marriage or civil partnership", "Record a marriage or civil "
                 "partnership in the population register.", (W, D), 30, 120),
            _svc("POP-IDCARD", "IDD", "Apply for an identity card", "Apply for a new or replacement identity "
                 "card, with a photo taken at a service point.", (W, D), 25, 240),
            _svc("POP-EXTRACT", "REG", "Request a population register extract", "Get an official extract of "
                 "your own register data, for example for a visa.", (W, A, M), 5, 24),
            _svc("POP-DEATH", "REG", "Register a death", "Register the death of a relative; benefits and "
                 "registrations that end are handled from this one notice.", (W, D, P), 30, 48),
        ),
    ),
    AgencySpec(
        "TAX", "Tax and Customs Board", "tax",
        "Assesses and collects taxes and duties, and runs customs.",
        (("IND", "Individual Taxpayers"), ("BUS", "Business Taxation"), ("CUS", "Customs"),
         ("COL", "Debt Collection")),
        (
            _svc("TAX-RETURN", "IND", "File an annual income tax return", "Check the prefilled return, add "
                 "deductions and submit it.", (W, A, M), 30, 720),
            _svc("TAX-ASSESS", "IND", "Check your tax assessment", "See how your tax was calculated and "
                 "whether you get a refund.", (W, A), 5, 24),
            _svc("TAX-PLAN", "COL", "Apply for a tax payment plan", "Spread a tax debt over instalments you "
                 "can afford.", (W, P, D), 20, 240),
            _svc("TAX-VAT", "BUS", "Register for VAT", "Register a business for value added tax.", (W, M), 30,
                 240),
            _svc("TAX-MORTGAGE", "IND", "Claim a deduction for mortgage interest", "Deduct the interest on a "
                 "home loan, using the statement your bank sends to the Board.", (W, A), 10, 720),
            _svc("TAX-CUSTOMS", "CUS", "Declare goods at customs", "Declare goods you bring into the country "
                 "and pay duties.", (W, D), 15, 4),
            _svc("TAX-RESIDENCY", "IND", "Get a tax residency certificate", "Prove where you are resident for "
                 "tax, for a foreign tax authority.", (W, M), 10, 120),
        ),
    ),
    AgencySpec(
        "SOC", "Social Insurance Board", "social security",
        "Pays pensions, family benefits and disability support.",
        (("PEN", "Pensions"), ("FAM", "Family Benefits"), ("DIS", "Disability Support")),
        (
            _svc("SOC-PENSION", "PEN", "Apply for a state pension", "Apply for the state old-age pension from "
                 "pension age.", (W, P, D, M), 40, 720),
            _svc("SOC-CHILD", "FAM", "Apply for child benefit", "Get the monthly child benefit for each child "
                 "you care for.", (W, A, M), 15, 240),
            _svc("SOC-PARENTAL", "FAM", "Apply for parental leave benefit", "Get paid while you care for a "
                 "new child.", (W, A), 25, 240),
            _svc("SOC-DISABILITY", "DIS", "Apply for disability allowance", "Get support for extra costs of "
                 "living with a disability.", (W, P, D, M), 60, 1440),
            _svc("SOC-CHANGE", "PEN", "Report a change in circumstances", "Tell the Board about changes that "
                 "affect a benefit you get.", (W, A, P), 10, 72),
            _svc("SOC-FUNERAL", "FAM", "Apply for a funeral grant", "Get help with the cost of a funeral.",
                 (W, P, D), 20, 120),
        ),
    ),
    AgencySpec(
        "HEALTH", "Health Insurance Fund", "health",
        "Insures residents for health care and reimburses treatment and medicines.",
        (("INS", "Insurance and Membership"), ("CLA", "Claims and Reimbursement"), ("PHA", "Prescriptions")),
        (
            _svc("HEALTH-REGISTER", "INS", "Register for health insurance", "Start your health insurance when "
                 "you arrive, start work or leave a job.", (W, D, M), 20, 120),
            _svc("HEALTH-TRAVEL", "INS", "Order a travel health insurance card", "Get a card that covers "
                 "necessary care when you travel abroad.", (W, A, P), 5, 240),
            _svc("HEALTH-CLAIM", "CLA", "Claim reimbursement for medical costs", "Get back costs of treatment "
                 "you paid yourself.", (W, A, M), 15, 480),
            _svc("HEALTH-DOCTOR", "INS", "Choose or change your family doctor", "Register with a family doctor "
                 "near you.", (W, A, P), 5, 72),
            _svc("HEALTH-CEILING", "PHA", "Apply for a medicine cost ceiling refund", "Get back what you paid "
                 "for medicines above the yearly ceiling.", (W, M), 10, 480),
        ),
    ),
    AgencySpec(
        "TRANSPORT", "Transport Administration", "transport",
        "Licenses drivers, registers vehicles and keeps national roads.",
        (("LIC", "Driving Licences"), ("VEH", "Vehicle Register"), ("ROA", "Roads and Permits")),
        (
            _svc("TRANSPORT-RENEW", "LIC", "Renew a driving licence", "Renew your licence before it expires; a "
                 "photo on file is reused.", (W, A, D), 15, 168),
            _svc("TRANSPORT-TEST", "LIC", "Book a driving test", "Book the theory or practical driving test.",
                 (W, A, P), 10, 48),
            _svc("TRANSPORT-REGISTER", "VEH", "Register a vehicle", "Register a new or imported vehicle and get "
                 "number plates.", (W, D), 30, 120),
            _svc("TRANSPORT-TRANSFER", "VEH", "Transfer vehicle ownership", "Record the sale of a vehicle "
                 "between seller and buyer.", (W, A), 10, 24),
            _svc("TRANSPORT-OVERSIZE", "ROA", "Apply for an oversize load permit", "Get permission to move an "
                 "oversize or heavy load on national roads.", (W, E), 30, 120),
            _svc("TRANSPORT-FINE", "ROA", "Pay or contest a traffic fine", "Pay a traffic fine, or ask for it to "
                 "be reviewed.", (W, A, M), 10, 336),
        ),
    ),
    AgencySpec(
        "EMPLOY", "Employment Service", "employment",
        "Helps people find work, pays unemployment insurance and funds training.",
        (("JOB", "Jobseeker Services"), ("UNE", "Unemployment Insurance"), ("SKL", "Skills and Training")),
        (
            _svc("EMPLOY-REGISTER", "JOB", "Register as a jobseeker", "Register as looking for work to get "
                 "advice, job offers and benefits.", (W, A, D), 20, 48),
            _svc("EMPLOY-BENEFIT", "UNE", "Apply for unemployment benefit", "Get income support while you look "
                 "for a new job.", (W, D), 30, 240),
            _svc("EMPLOY-TRAINING", "SKL", "Apply for a training grant", "Get a grant for a course that helps "
                 "you back into work.", (W, D), 25, 240),
            _svc("EMPLOY-ACTIVITY", "JOB", "Report job-search activity", "Report the jobs you applied for to "
                 "keep your benefit.", (W, A), 5, 24),
            _svc("EMPLOY-STARTUP", "SKL", "Apply for a start-up grant", "Get a grant to start your own "
                 "business.", (W, D), 45, 480),
        ),
    ),
    AgencySpec(
        "BUSREG", "Business Registry", "business registry",
        "Registers companies and their officers, and files their annual reports.",
        (("REG", "Company Registrations"), ("ANN", "Annual Reports"), ("LIC", "Trade Licences")),
        (
            _svc("BUSREG-NEW", "REG", "Register a new company", "Found a company online and get a business "
                 "id the same day.", (W, A), 30, 24),
            _svc("BUSREG-ANNUAL", "ANN", "File an annual report", "File the company's yearly accounts and "
                 "report.", (W,), 45, 720),
            _svc("BUSREG-BOARD", "REG", "Change company board members", "Record new or departing board "
                 "members.", (W, M), 15, 72),
            _svc("BUSREG-CLOSE", "REG", "Close a company", "Dissolve a company and remove it from the "
                 "register.", (W, M), 30, 720),
            _svc("BUSREG-TRADE", "LIC", "Apply for a trade licence", "Get the licence some trades need before "
                 "they start.", (W, D), 30, 240),
        ),
    ),
    AgencySpec(
        "AURELIA", f"City of {CAPITAL_CITY}", "municipality",
        "The capital's city government: streets, waste, parking, building and schools.",
        (("WAS", "Waste and Environment"), ("PRK", "Parking"), ("PLN", "Planning and Building"),
         ("EDU", "Schools and Childcare")),
        (
            _svc("AURELIA-PARKING", "PRK", "Apply for a residential parking permit", "Park near your home in a "
                 "permit zone.", (W, A), 10, 72),
            _svc("AURELIA-BUILDING", "PLN", "Apply for a building permit", "Get permission to build, extend "
                 "or change the use of a building.", (W, D), 60, 1440),
            _svc("AURELIA-KINDERGARTEN", "EDU", "Enrol a child in kindergarten", "Apply for a kindergarten "
                 "place near home or work.", (W, A, D), 20, 336),
            _svc("AURELIA-BULKY", "WAS", "Order a bulky waste collection", "Have furniture and other large "
                 "items collected from your door.", (W, A, P), 5, 120),
            _svc("AURELIA-STREET", "WAS", "Report a street problem", "Report a pothole, broken street light or "
                 "graffiti (Open311).", (W, A, P, S), 3, 72),
            _svc("AURELIA-BADGE", "PRK", "Apply for a disabled parking badge", "Park closer to where you need "
                 "to be if you have reduced mobility.", (W, D, M), 20, 240),
        ),
    ),
)

# Staff accounts the demo makes beyond a staff member and an agency admin in every agency.
ANALYST_AGENCIES = ("TAX", "SOC", "AURELIA")


@dataclass(frozen=True)
class BankSpec:
    name: str
    short: str


# Banks act as data providers: each is the one authoritative source of some catalogue attributes.
BANKS: tuple[BankSpec, ...] = (
    BankSpec("First Bank of Valdoria", "FIRST"),
    BankSpec("Aurelia Savings Bank", "SAVINGS"),
    BankSpec("Coastreach Cooperative Bank", "COOP"),
    BankSpec("Northmarch Mutual", "MUTUAL"),
)

# Sectors of the business register, with their rough share of companies.
SECTORS: tuple[tuple[str, float], ...] = (
    ("retail", 0.16), ("construction", 0.12), ("professional services", 0.13), ("hospitality", 0.09),
    ("health care", 0.07), ("manufacturing", 0.08), ("transport and logistics", 0.07),
    ("information technology", 0.08), ("agriculture", 0.06), ("real estate", 0.06), ("education", 0.03),
    ("finance", 0.02), ("arts and recreation", 0.03),
)


@dataclass(frozen=True)
class AttributeSpec:
    key: str
    name: str
    description: str
    subject: SubjectKind
    value_type: ValueType
    sensitivity: Sensitivity
    source: str  # an agency code, or "bank:<short>" for a bank acting as data provider
    self_declarable: bool = False


PERS, ORG = SubjectKind.PERSON, SubjectKind.ORGANIZATION
PUB, INT, PER, SEN = Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.PERSONAL, Sensitivity.SENSITIVE
T = ValueType

ATTRIBUTES: tuple[AttributeSpec, ...] = (
    AttributeSpec("person.name", "Name", "Given and family names as registered.", PERS, T.STRING, PER, "POP"),
    AttributeSpec("person.birth_date", "Date of birth", "", PERS, T.DATE, PER, "POP"),
    AttributeSpec("person.address", "Home address", "The registered permanent address.", PERS, T.ADDRESS, PER,
                  "POP"),
    AttributeSpec("person.national_id", "Personal identity code", "", PERS, T.STRING, SEN, "POP"),
    AttributeSpec("person.marital_status", "Marital status", "", PERS, T.STRING, PER, "POP"),
    AttributeSpec("person.household_members", "Household members", "Who lives at the same address.", PERS,
                  T.STRING, PER, "POP"),
    AttributeSpec("person.email", "E-mail address", "", PERS, T.STRING, PER, "POP", self_declarable=True),
    AttributeSpec("person.phone", "Phone number", "", PERS, T.STRING, PER, "POP", self_declarable=True),
    AttributeSpec("person.preferred_language", "Preferred language", "", PERS, T.STRING, INT, "POP",
                  self_declarable=True),
    AttributeSpec("tax.annual_income", "Annual taxable income", "Income assessed for the last tax year.", PERS,
                  T.MONEY, SEN, "TAX"),
    AttributeSpec("tax.residency", "Tax residency", "", PERS, T.STRING, PER, "TAX"),
    AttributeSpec("tax.debt_status", "Tax debt", "Whether the person owes overdue tax.", PERS, T.BOOLEAN, PER,
                  "TAX"),
    AttributeSpec("tax.assessment", "Tax assessment", "The latest final assessment.", PERS, T.DOCUMENT, SEN,
                  "TAX"),
    AttributeSpec("social.benefit_status", "Benefits received", "Which benefits are being paid.", PERS,
                  T.STRING, PER, "SOC"),
    AttributeSpec("social.pension_entitlement", "Pension entitlement", "", PERS, T.MONEY, PER, "SOC"),
    AttributeSpec("social.disability_status", "Disability status", "", PERS, T.STRING, SEN, "SOC"),
    AttributeSpec("health.insurance_number", "Health insurance number", "", PERS, T.STRING, SEN, "HEALTH"),
    AttributeSpec("health.insurance_status", "Health insurance cover", "", PERS, T.STRING, SEN, "HEALTH"),
    AttributeSpec("health.family_doctor", "Family doctor", "", PERS, T.STRING, SEN, "HEALTH"),
    AttributeSpec("transport.driving_licence", "Driving licence", "Licence number, classes and expiry.",
                  PERS, T.DOCUMENT, PER, "TRANSPORT"),
    AttributeSpec("transport.vehicle_registration", "Registered vehicles", "", PERS, T.STRING, PER, "TRANSPORT"),
    AttributeSpec("employment.status", "Employment status", "Employed, jobseeker or out of the labour force.",
                  PERS, T.STRING, PER, "EMPLOY"),
    AttributeSpec("employment.jobseeker_since", "Registered as jobseeker since", "", PERS, T.DATE, PER,
                  "EMPLOY"),
    AttributeSpec("municipal.parking_permit", "Residential parking permit", "", PERS, T.DOCUMENT, PER, "AURELIA"),
    AttributeSpec("municipal.kindergarten_place", "Kindergarten place", "", PERS, T.STRING, PER, "AURELIA"),
    AttributeSpec("business.registration", "Company registration", "Business id, legal form and status.", ORG,
                  T.DOCUMENT, PUB, "BUSREG"),
    AttributeSpec("business.legal_name", "Legal name", "", ORG, T.STRING, PUB, "BUSREG"),
    AttributeSpec("business.board_members", "Board members", "", ORG, T.STRING, PUB, "BUSREG"),
    AttributeSpec("business.vat_number", "VAT number", "", ORG, T.STRING, PUB, "TAX"),
    AttributeSpec("bank.interest_statement", "Yearly interest statement", "Interest paid on loans and earned "
                  "on savings, as the bank reports it.", PERS, T.MONEY, PER, "bank:FIRST"),
    AttributeSpec("bank.mortgage_balance", "Mortgage balance", "The outstanding home loan at year end.", PERS,
                  T.MONEY, PER, "bank:SAVINGS"),
)
