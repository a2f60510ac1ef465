/** @odoo-module **/
/**
 * Manager (runs in zh_CN): the 订单管理 KPI dashboard, then a click on the
 * on-time figure drills down to the late orders.
 * Data: oms_reports/tests/test_tour_manager.py
 */
import {registry} from "@web/core/registry";
import {
  omsScreenshot,
  openMenu,
  omsSteps,
} from "@oms_core/../tests/tours/oms_tour_utils";

const ON_TIME_FIGURE = ".o-figure[data-id='oms-kpi-5']";

registry.category("web_tour.tours").add("oms_manager_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_reports.oms_reports_menu_reporting",
        "oms_reports.oms_reports_menu_dashboard"
      ),
      {
        content: "open the 订单管理 KPI dashboard",
        trigger: ".o_search_panel_category_value:contains(订单管理 KPI)",
        run: "click",
      },
      {
        content: "the on-time figure links to the late orders",
        trigger: `.o_spreadsheet_dashboard_action ${ON_TIME_FIGURE}[role=button]`,
      },
      omsScreenshot("manager-kpi-dashboard", ON_TIME_FIGURE),
      {
        content: "drill down from the on-time rate",
        trigger: ON_TIME_FIGURE,
        run: "click",
      },
      {
        content: "the late orders are listed",
        trigger: ".o_list_view .o_data_row:contains(广州天河百货)",
      },
      {
        content: "the one shipped late too",
        trigger: ".o_list_view .o_data_row:contains(深圳南山电子)",
      },
      {
        content: "but not the order delivered on time",
        trigger: ".o_list_view:not(:has(.o_data_row:contains(北京华联商贸)))",
      },
      omsScreenshot("manager-late-orders", ".o_list_view .o_data_row"),
    ]),
});
