/** @odoo-module **/
/**
 * The screens of the demo's story, as its people see them, for the README and
 * the user guide (setup/screenshots.sh --demo): one tour per screen, each
 * registered twice, for a user in zh_CN (screenshot ``<name>.png``) and in
 * English (``<name>-en.png``). They only read the demo database.
 * Data: the demo; oms_reports/tests/test_demo_screenshots.py
 */
import {registry} from "@web/core/registry";
import {
  omsScreenshot,
  openMenu,
  omsSteps,
} from "@oms_core/../tests/tours/oms_tour_utils";

const OMS_ROOT = "oms_core.oms_core_menu_root";
const CHANNELS = "oms_channels.oms_channels_menu_channels_root";

/** The steps of each screen; ``shot(name, trigger)`` takes its screenshot. */
const SCREENS = {
  oms_demo_kpi_dashboard: (shot) => [
    ...openMenu(
      OMS_ROOT,
      "oms_reports.oms_reports_menu_reporting",
      "oms_reports.oms_reports_menu_dashboard"
    ),
    {
      content: "the trends of the last 30 days are shown",
      trigger:
        ".o_oms_kpi_dashboard .o_oms_kpi_card[data-kpi='on_time_rate'] .o_oms_kpi_trend",
    },
    {
      content: "the exception Pareto of the period",
      trigger: ".o_oms_kpi_pareto tr[data-code]",
    },
    shot(
      "demo-kpi-dashboard",
      ".o_oms_kpi_dashboard .o_oms_kpi_card[data-kpi='touchless_rate']"
    ),
  ],
  oms_demo_hold_queue: (shot) => [
    ...openMenu(
      OMS_ROOT,
      "oms_core.oms_core_menu_orders_root",
      "oms_core.oms_core_menu_hold_queue"
    ),
    {
      content: "the open exceptions, by deadline",
      trigger: ".o_list_view:not(:has(.o_group_header)) .o_data_row",
    },
    shot("demo-hold-queue", ".o_list_view .o_data_row td[name=message]"),
  ],
  oms_demo_order_priority: (shot) => [
    {
      content: "the order, with its priority",
      trigger: ".o_form_view .o_field_widget[name=oms_priority]",
    },
    {
      content: "open the Review tab",
      trigger: ".o_notebook a[name=oms_review]",
      run: "click",
    },
    shot(
      "demo-order-priority",
      ".o_form_view .o_field_widget[name=oms_priority_explanation]"
    ),
  ],
  oms_demo_channel: (shot) => [
    {
      content: "the channel, its last sync and its failed orders",
      trigger: ".o_form_view button[name=action_view_failed]",
    },
    shot("demo-channel", ".o_form_view .o_field_widget[name=name]"),
    ...openMenu(OMS_ROOT, CHANNELS, "oms_channels.oms_channel_order_menu"),
    {
      content: "every staged order, not only the failed ones",
      trigger: ".o_searchview_facet .o_facet_remove",
      run: "click",
    },
    {
      content: "no filter left",
      trigger: ".o_control_panel:not(:has(.o_searchview_facet))",
    },
    {
      content: "the staged orders of every channel",
      trigger: ".o_list_view .o_data_row",
    },
    shot("demo-channel-orders", ".o_list_view .o_data_row td[name=state]"),
  ],
  oms_demo_allocation_table: (shot) => [
    ...openMenu(OMS_ROOT, CHANNELS, "oms_channels.oms_channel_allocation_table_menu"),
    {
      content: "open the first product",
      trigger: ".o_list_view .o_group_header",
      run: "click",
    },
    shot("demo-allocation-table", ".o_list_view .o_data_row td[name=offered_qty]"),
  ],
  oms_demo_portal_timeline: (shot) => [
    {
      content: "the timeline: reviewed, shipped, delivered",
      trigger: "#oms_timeline .oms_timeline_delivered .fa-check-circle",
    },
    {
      content: "the conversation with the shop is loaded",
      trigger: "#chatterRoot:shadow .o-mail-Chatter",
    },
    shot("demo-portal-timeline", "#oms_timeline .oms_timeline_shipped"),
  ],
};

for (const [tourName, steps] of Object.entries(SCREENS)) {
  for (const suffix of ["", "-en"]) {
    registry.category("web_tour.tours").add(`${tourName}${suffix}`, {
      steps: () =>
        omsSteps(steps((name, trigger) => omsScreenshot(`${name}${suffix}`, trigger))),
    });
  }
}
