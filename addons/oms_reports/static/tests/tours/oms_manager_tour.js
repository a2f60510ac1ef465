/** @odoo-module **/
/**
 * Manager, in zh_CN and in English: the KPI dashboard reads in the user's
 * language, colours each trend by its meaning (a cancellation rate that rose is
 * red, an exception rate that fell and orders that rose are green), and a click
 * on the on-time rate, filtered on one channel, lists the late orders of that
 * channel in the last 30 days.
 * Data: oms_reports/tests/test_tour_manager.py
 */
import {registry} from "@web/core/registry";
import {
  omsScreenshot,
  openMenu,
  omsSteps,
} from "@oms_core/../tests/tours/oms_tour_utils";

const card = (kpi) => `.o_oms_kpi_dashboard .o_oms_kpi_card[data-kpi='${kpi}']`;

/**
 * The journey, with the texts the user reads in their language.
 * @param {Object} text title, labels and breadcrumb the user must read
 */
function managerSteps(text) {
  return omsSteps([
    ...openMenu(
      "oms_core.oms_core_menu_root",
      "oms_reports.oms_reports_menu_reporting",
      "oms_reports.oms_reports_menu_dashboard"
    ),
    {
      content: "our dashboard opens, titled in the user's language",
      trigger: `.o_oms_kpi_dashboard h2:contains(${text.title})`,
    },
    {
      content: "the cancellation rate is labelled in the user's language",
      trigger: `${card("cancellation_rate")} .o_oms_kpi_label:contains(${text.cancellation})`,
    },
    {
      content: "the cancellation rate rose: bad news, a red arrow up",
      trigger: `${card("cancellation_rate")} .o_oms_kpi_trend.text-danger .fa-arrow-up`,
    },
    {
      content: "the exception rate fell: lower is better, so a green arrow down",
      trigger: `${card("exception_rate")} .o_oms_kpi_trend.text-success .fa-arrow-down`,
    },
    {
      content: "the orders rose: good news, a green arrow up",
      trigger: `${card("orders")} .o_oms_kpi_trend.text-success .fa-arrow-up`,
    },
    {
      content: "the exception Pareto shows the type's label, not its code",
      trigger: `.o_oms_kpi_pareto tr[data-code='price_floor'] td:contains(${text.priceFloor})`,
    },
    omsScreenshot(`manager-kpi-dashboard${text.suffix}`, card("on_time_rate")),
    {
      content: "keep the Tmall channel only",
      trigger: ".o_oms_kpi_channel:contains(天猫旗舰店)",
      run: "click",
    },
    {
      content: "the dashboard is filtered on Tmall",
      trigger: ".o_oms_kpi_channel.btn-info:contains(天猫旗舰店)",
    },
    {
      content: "drill down from the on-time rate",
      trigger: `${card("on_time_rate")}[role=button]`,
      run: "click",
    },
    {
      content: "the list is named after the figure",
      trigger: `.o_breadcrumb:contains(${text.onTime})`,
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
    {
      content: "nor the late order of another channel",
      trigger: ".o_list_view:not(:has(.o_data_row:contains(成都锦江商城)))",
    },
    {
      content: "nor the late order received before the period",
      trigger: ".o_list_view:not(:has(.o_data_row:contains(杭州西湖茶庄)))",
    },
    omsScreenshot(`manager-late-orders${text.suffix}`, ".o_list_view .o_data_row"),
  ]);
}

registry.category("web_tour.tours").add("oms_manager_tour", {
  steps: () =>
    managerSteps({
      title: "订单管理 KPI",
      cancellation: "取消率",
      onTime: "准时交付率",
      priceFloor: "最低价格",
      suffix: "",
    }),
});

registry.category("web_tour.tours").add("oms_manager_tour_en", {
  steps: () =>
    managerSteps({
      title: "Order Management KPIs",
      cancellation: "Cancellation Rate",
      onTime: "On-time Delivery Rate",
      priceFloor: "Price Floor",
      suffix: "-en",
    }),
});
