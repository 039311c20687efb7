"""What the dashboard pages show, as plain tables and values computed without Streamlit: one
module per page (``synthese``, ``declarer``, ``usages``, ``mesures``, ``scenarios``,
``recommandations``, ``collectivite``, ``facteurs``, ``export``, ``methode``) and what they share
(``common``: years, the problems table, unit conversions, French formatting). Pages import only this facade
(``from dashboard import views``; ``views.<name>``), never the library.

Must not: import Streamlit or Plotly, hold a number of its own (they come from the engine, the
factor base and Pint), or write to the store except through the functions whose name says so
(``save_*``, ``import_*``, ``delete_*``).
"""

from dashboard.views.collectivite import (
    PROFILE_FIELDS,
    FormField,
    ProfileSaved,
    form_fields,
    is_example_profile,
    profile_history,
    profile_problems,
    save_profile,
    stored_profile,
)
from dashboard.views.common import (
    KIND_LABELS,
    LABELS,
    YEAR_BOUNDS,
    convert,
    equivalences,
    format_number,
    format_quantity,
    format_range,
    inventory_years,
    percent,
    problems_table,
    scale_for,
    scaled_equivalences,
)
from dashboard.views.declarer import (
    AI_ACT_CHOICES,
    COUNTS,
    DISPLAY_COLUMNS,
    EDITABLE,
    OTHER_TOOL,
    TASK_COUNTS,
    StoreConflict,
    declaration_impact,
    declarations_table,
    deleted_declarations,
    find_tool,
    form_options,
    has_reasoning_mode,
    history_table,
    import_file,
    of_services,
    preview_file,
    save_edits,
    save_form,
    tool_choices,
    tool_profile,
    validate_declarations,
)
from dashboard.views.export import DOWNLOAD_LABELS, download_label, export_date
from dashboard.views.facteurs import (
    BASIS_LABELS,
    delete_own_value,
    disclosure_rows,
    factor_rows,
    factor_tables,
    key_label,
    override_rows,
    overrides_table,
    save_basis,
    save_own_values,
)
from dashboard.views.mesures import import_runs, measure_command, measurement_runs
from dashboard.views.methode import METHODOLOGY_FILE, methodology
from dashboard.views.recommandations import best_reduction, recommendations_table
from dashboard.views.scenarios import (
    DEFAULT_TO_YEAR,
    HORIZON,
    REALISED,
    SLIDERS,
    TARGET,
    TARGET_ID,
    VERDICTS,
    Slider,
    Target,
    by_kind,
    compared,
    custom_ids,
    default_scenarios,
    derive_scenario,
    derived_scenario,
    realised,
    save_scenario,
    save_target,
    savings,
    slider_values,
    target_defaults,
    target_from,
    target_of,
    trajectories,
    verdict_table,
)
from dashboard.views.synthese import (
    BREAKDOWNS,
    HEADLINE,
    HEADLINE_LABELS,
    PERSPECTIVE,
    breakdown,
    energy_class_scale,
    energy_classes,
    headline,
    in_perspective,
    labels,
    measured_share,
    synthesis,
    top_workloads,
)
from dashboard.views.usages import (
    FORMAT_HELP,
    PRESET_LABELS,
    Imported,
    gateway_comparison,
    import_log,
    is_admin_export,
    usage_months,
)
from dashboard.views.validation import pending_of, review_counts, review_sentence

__all__ = [
    "AI_ACT_CHOICES", "BASIS_LABELS", "BREAKDOWNS", "COUNTS", "DEFAULT_TO_YEAR", "DISPLAY_COLUMNS", "DOWNLOAD_LABELS",
    "EDITABLE", "FORMAT_HELP", "HEADLINE", "HEADLINE_LABELS", "HORIZON", "KIND_LABELS", "LABELS", "METHODOLOGY_FILE",
    "OTHER_TOOL", "PERSPECTIVE", "PRESET_LABELS", "PROFILE_FIELDS", "REALISED", "SLIDERS", "TARGET", "TARGET_ID",
    "TASK_COUNTS", "VERDICTS", "YEAR_BOUNDS", "FormField", "Imported", "ProfileSaved", "Slider", "StoreConflict",
    "Target", "best_reduction", "breakdown", "by_kind", "compared", "convert", "custom_ids", "declaration_impact",
    "declarations_table", "default_scenarios", "delete_own_value", "deleted_declarations", "derive_scenario",
    "derived_scenario", "disclosure_rows", "download_label", "energy_class_scale", "energy_classes", "equivalences",
    "export_date", "factor_rows", "factor_tables", "find_tool", "form_fields", "form_options", "format_number",
    "format_quantity", "format_range", "gateway_comparison", "has_reasoning_mode", "headline", "history_table",
    "import_file", "import_log", "import_runs", "in_perspective", "inventory_years", "is_admin_export",
    "is_example_profile", "key_label", "labels", "measure_command", "measured_share", "measurement_runs",
    "methodology", "of_services", "pending_of", "review_counts",
    "review_sentence", "override_rows", "overrides_table", "percent", "preview_file",
    "problems_table", "profile_history",
    "profile_problems", "realised", "recommendations_table", "save_basis", "save_edits", "save_form",
    "save_own_values", "save_profile", "save_scenario", "save_target", "savings", "scale_for", "scaled_equivalences",
    "slider_values", "stored_profile", "synthesis", "target_defaults", "target_from", "target_of", "tool_choices",
    "tool_profile", "top_workloads", "trajectories", "usage_months", "validate_declarations", "verdict_table",
]
