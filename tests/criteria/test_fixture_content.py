"""The catalogue fixtures hold every unit of the seed documents, with its outcomes and criteria.

The expectations below are written out from the five seed documents (../shared/seeds/), so a
fixture edit that drops or renumbers a criterion fails here.
"""

import pytest

from criteria.models import AssessmentCriterion, Qualification, Requirement, Unit

pytestmark = pytest.mark.usefixtures("catalogue")

ICQ_BA = "icq-l4-nvq-diploma-business-administration-rqf"
ICQ_CS = "icq-l4-nvq-diploma-customer-service-rqf"
PEARSON_CS = "pearson-edexcel-l3-nvq-diploma-customer-service-qcf"

QUALIFICATIONS = {
    ICQ_BA: ("iCQ Level 4 NVQ Diploma in Business Administration (RQF)", "icq", 4, "RQF"),
    ICQ_CS: ("iCQ Level 4 NVQ Diploma in Customer Service (RQF)", "icq", 4, "RQF"),
    PEARSON_CS: (
        "Pearson Edexcel Level 3 NVQ Diploma in Customer Service (QCF)",
        "pearson",
        3,
        "QCF",
    ),
}

# unit code: (title, qualifications, {outcome number: (outcome text, [criterion numbers])})
UNITS = {
    "design-business-processes": (
        "Design business processes",
        {ICQ_BA, ICQ_CS},
        {
            1: (
                "Understand techniques and tools that support the design of business processes",
                ["1.1", "1.2", "1.3", "1.4"],
            ),
            2: ("Be able to develop business processes", ["2.1", "2.2", "2.3"]),
            3: (
                "Be able to evaluate the effectiveness of business processes",
                ["3.1", "3.2", "3.3", "3.4", "3.5"],
            ),
        },
    ),
    "review-and-re-engineer-customer-service-processes": (
        "Review and re-engineer customer service processes",
        {PEARSON_CS},
        {
            1: ("Be able to scope the customer service processes to be reviewed", ["1.1"]),
            2: (
                "Be able to analyse the customer service process and identify improvement "
                "opportunities",
                ["2.1"],
            ),
            3: (
                "Be able to evaluate improvement options and re-engineer service processes",
                ["3.1", "3.2"],
            ),
            4: ("Understand how to review and re-engineer customer service processes", []),
        },
    ),
    "plan-organise-and-control-customer-service-operations": (
        "Plan, organise and control customer service operations",
        set(),
        {
            1: ("Be able to plan customer service operations", ["1.1", "1.2"]),
            2: ("Be able to organise customer service operations", ["2.1"]),
            3: ("Be able to control customer service operations", ["3.1", "3.2"]),
        },
    ),
    "review-the-quality-of-customer-service": (
        "Review the quality of customer service",
        {ICQ_CS},
        {
            1: ("Understand how to review the quality of customer service", []),
            2: ("Be able to plan the measurement of customer service", ["2.1"]),
            3: ("Be able to evaluate the quality of customer service", ["3.1", "3.2"]),
        },
    ),
}

# Every examiner marking point of the seed documents, which the fixtures keep verbatim as the
# guidance of the criterion made from it (a few words of each are enough to find it).
MARKING_POINTS = {
    "design-business-processes": [
        "accurate application of at least two process modelling techniques",
        "developing a new or revised business process that includes clear steps, roles",
        "structured evaluation of a business process that uses relevant performance indicators",
        "use of a recognised process mapping tool (e.g., flowcharts, SIPOC)",
        "identifying and justifying improvements using data analysis and customer feedback",
        "implementing a redesigned process and measuring its effectiveness",
        "comprehensive understanding of at least two recognised techniques",
        "clearly defines inputs, activities, outputs, roles, responsibilities, and customer "
        "touchpoints",
        "robust evaluation of a designed process using specific, customer-focused KPIs",
        "accurate use of at least two business process design techniques",
        "directly addresses a specific business need, including detailed documentation and "
        "stakeholder approval",
        "structured evaluation of the implemented process using predefined criteria",
    ],
    "review-and-re-engineer-customer-service-processes": [
        "clear definition of the scope and boundaries",
        "thorough analysis of the current process using tools such as flowcharts",
        "justify their choices with cost-benefit analysis, feasibility",
        "before-and-after comparison of the process",
    ],
    "plan-organise-and-control-customer-service-operations": [
        "clear planning of service operations, including contingency arrangements",
        "effective supervision, such as team briefings",
        "organizational procedures when handling problems, including logging and escalation",
        "using data (customer feedback, KPIs) to evaluate operations",
        "equality and diversity considerations in planning and supervision",
    ],
    "review-the-quality-of-customer-service": [
        "documented plan for measuring customer service",
        "active evaluation of service quality data",
        "involves customers and team members in the review process",
    ],
}


def test_qualifications_as_the_seed_documents_name_them():
    found = {
        q.code: (q.title, q.awarding_organisation.code, q.level, q.framework)
        for q in Qualification.objects.select_related("awarding_organisation")
    }
    assert found == QUALIFICATIONS


@pytest.mark.parametrize("code", UNITS)
def test_unit_has_its_outcomes_and_criteria(code):
    title, qualifications, outcomes = UNITS[code]
    unit = Unit.objects.get(code=code)

    assert unit.title == title
    assert set(unit.qualifications.values_list("code", flat=True)) == qualifications
    found = {
        outcome.number: (outcome.text, [c.number for c in outcome.criteria.order_by("position")])
        for outcome in unit.outcomes.order_by("number")
    }
    assert found == outcomes


@pytest.mark.parametrize("code", MARKING_POINTS)
def test_every_marking_point_is_a_criterion(code):
    guidance = list(
        AssessmentCriterion.objects.filter(outcome__unit__code=code).values_list(
            "guidance", flat=True
        )
    )
    for phrase in MARKING_POINTS[code]:
        matches = [text for text in guidance if phrase in text]
        assert len(matches) == 1, f"{code}: marking point {phrase!r} found {len(matches)} times"
    assert len(guidance) == len(MARKING_POINTS[code])


@pytest.mark.parametrize("code", UNITS)
def test_unit_keeps_its_guidance(code):
    unit = Unit.objects.get(code=code)
    assert unit.synopsis
    assert len(unit.key_concept_points()) >= 5
    assert len(unit.assessment_guidance_points()) >= 5
    assert len(unit.common_mistake_points()) >= 5
    assert all("💡" not in point for point in unit.assessment_guidance_points())


def test_values_the_documents_do_not_give_are_left_empty():
    """Invent nothing: no document gives a unit reference, level, credits or hours, a
    qualification number, minimum credits, or whether a unit is mandatory."""
    for unit in Unit.objects.all():
        assert (unit.reference, unit.level, unit.credit_value, unit.guided_learning_hours) == (
            "",
            None,
            None,
            None,
        ), unit.code
    assert set(Qualification.objects.values_list("qualification_number", flat=True)) == {""}
    assert set(Qualification.objects.values_list("minimum_credits", flat=True)) == {None}
    for qualification in Qualification.objects.all():
        assert {link.requirement for link in qualification.unit_links.all()} == {
            Requirement.NOT_STATED
        }
