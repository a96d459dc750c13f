"""The default issue-area taxonomy, where issues crosshatch, and the directory version row.

Coordinators edit all of this afterwards; the data is frozen here so the migration stays the
same whatever the code later becomes.
"""

from django.db import migrations

# (slug, name, description); the position is the area's bit in Organization.issue_mask.
ISSUE_AREAS = [
    ("housing", "Housing", "Tenant organizing, affordable and social housing, homelessness, eviction defence."),
    ("labor", "Labor", "Unions, workers' centres, organizing drives, strikes and workplace rights."),
    ("climate", "Climate", "Climate justice, emissions, just transition, climate adaptation."),
    ("health", "Health", "Health care access, public health, mental health, community clinics."),
    ("criminal-justice", "Criminal justice", "Policing, prisons, courts, bail, re-entry and abolition."),
    ("immigration", "Immigration", "Migrant and refugee rights, sanctuary, deportation defence."),
    ("racial-justice", "Racial justice", "Anti-racism, civil rights, reparations, equity."),
    ("food", "Food", "Food security, food banks, community gardens, farmworkers, food sovereignty."),
    ("transportation", "Transportation", "Public transit, walking and cycling, fares, road safety."),
    ("education", "Education", "Public schools, student and teacher organizing, adult learning."),
    ("mutual-aid", "Mutual aid", "Neighbours meeting each other's needs directly, outside charity."),
    ("democracy", "Democracy", "Voting rights, participatory budgeting, assemblies, fair elections."),
    ("disability-justice", "Disability justice", "Accessibility, independent living, disability rights."),
    ("gender-justice", "Gender justice", "Women's rights, reproductive justice, ending gender violence."),
    ("lgbtq-rights", "LGBTQ+ rights", "Queer and trans rights, safety and community."),
    ("indigenous-rights", "Indigenous rights", "Sovereignty, land back, treaty rights, language revival."),
    ("environment-land", "Environment and land", "Conservation, clean water and air, land use, pollution."),
    ("peace", "Peace", "Anti-war, disarmament, demilitarization, conflict resolution."),
    ("digital-rights", "Digital rights", "Privacy, surveillance, open internet, technology accountability."),
    ("economic-justice", "Economic justice", "Wages, debt, poverty, taxation, co-operative economy."),
    ("youth", "Youth", "Young people organizing and the issues they face."),
    ("elders", "Elders", "Older people's care, pensions and dignity."),
    ("arts-culture", "Arts and culture", "Community arts, cultural organizing, media and storytelling."),
    ("energy", "Energy", "Energy democracy, utilities, renewable power, energy poverty."),
    ("water", "Water", "Water access, utilities, shutoffs, watershed protection."),
]

# Where issues crosshatch: (a, b, why they meet).
ISSUE_LINKS = [
    ("housing", "transportation", "Where homes are built decides who can reach work and services."),
    ("climate", "transportation", "Transport is a leading source of emissions; transit is climate policy."),
    ("food", "health", "Diet-related illness follows access to good food."),
    ("labor", "immigration", "Migrant workers' rights are workers' rights."),
    ("housing", "health", "Damp, crowding and eviction make people ill."),
    ("housing", "economic-justice", "Rent is the largest cost most households carry."),
    ("housing", "racial-justice", "Redlining and displacement shaped who lives where."),
    ("climate", "energy", "A just transition runs through who owns and pays for power."),
    ("climate", "food", "Farming shapes and is shaped by the climate."),
    ("climate", "environment-land", "Land use and ecosystems are climate policy."),
    ("climate", "labor", "A just transition needs the workers of today's industries."),
    ("climate", "health", "Heat, smoke and floods are health emergencies."),
    ("criminal-justice", "racial-justice", "Policing and prisons fall hardest on communities of colour."),
    ("criminal-justice", "health", "Mental health crises should meet care, not police."),
    ("criminal-justice", "immigration", "Detention and deportation run through the justice system."),
    ("food", "labor", "Farmworkers and food workers feed everyone."),
    ("food", "mutual-aid", "Food sharing is the commonest mutual aid."),
    ("health", "disability-justice", "Access to care is a disability issue."),
    ("health", "gender-justice", "Reproductive health is health care."),
    ("education", "youth", "Schools are where young people organize first."),
    ("education", "economic-justice", "Student debt and school funding follow wealth."),
    ("democracy", "racial-justice", "Voting rights have always been fought over along racial lines."),
    ("democracy", "digital-rights", "Surveillance and disinformation undermine self-government."),
    ("indigenous-rights", "environment-land", "Land defence is led by Indigenous nations."),
    ("indigenous-rights", "water", "Water protectors defend sources for everyone."),
    ("environment-land", "water", "Watersheds tie land and water together."),
    ("labor", "economic-justice", "Wages and bargaining power decide how wealth is shared."),
    ("gender-justice", "lgbtq-rights", "Both fight for bodily autonomy and safety."),
    ("peace", "economic-justice", "Military budgets compete with social needs."),
    ("mutual-aid", "disability-justice", "Disabled communities built many mutual-aid practices."),
    ("transportation", "disability-justice", "Accessible transit is freedom of movement."),
    ("elders", "health", "Long-term care is health care."),
    ("energy", "economic-justice", "Energy poverty and utility shutoffs hit the poorest first."),
]


def forwards(apps, schema_editor):
    IssueArea = apps.get_model("directory", "IssueArea")
    IssueLink = apps.get_model("directory", "IssueLink")
    DirectoryState = apps.get_model("directory", "DirectoryState")
    DirectoryState.objects.get_or_create(pk=1, defaults={"version": 0})
    by_slug = {}
    used_bits = set(IssueArea.objects.values_list("bit", flat=True))
    next_bit = 0
    for slug, name, description in ISSUE_AREAS:
        existing = IssueArea.objects.filter(slug=slug).first()
        if existing is None:
            while next_bit in used_bits:
                next_bit += 1
            existing = IssueArea.objects.create(slug=slug, name=name, description=description, bit=next_bit)
            used_bits.add(next_bit)
        by_slug[slug] = existing
    for a, b, note in ISSUE_LINKS:
        first, second = sorted([a, b])
        IssueLink.objects.get_or_create(
            from_issue=by_slug[first], to_issue=by_slug[second], defaults={"note": note}
        )


def backwards(apps, schema_editor):
    IssueArea = apps.get_model("directory", "IssueArea")
    IssueArea.objects.filter(slug__in=[slug for slug, _, _ in ISSUE_AREAS]).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_directorystate")]

    operations = [migrations.RunPython(forwards, backwards)]
