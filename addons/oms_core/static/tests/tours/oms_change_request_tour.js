/** @odoo-module **/
/**
 * Reviewer (runs in zh_CN): change requests queue -> the salesperson's request
 * to raise a quantity -> approve it -> the order carries the new quantity.
 * Data: oms_core/tests/test_tour_change_request.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, openMenu, stageIs, omsSteps} from "./oms_tour_utils";

const CUSTOMER = "华东贸易有限公司";

registry.category("web_tour.tours").add("oms_change_request_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_orders_root",
        "oms_core.oms_core_menu_change_requests"
      ),
      omsScreenshot("reviewer-change-requests", `.o_data_row:contains(${CUSTOMER})`),
      {
        content: "open the change request of the order",
        trigger: `.o_data_row:contains(${CUSTOMER}) td[name=diff]`,
        run: "click",
      },
      stageIs("state", "to_approve"),
      {
        content: "the request shows what would change and its impact",
        trigger: ".o_form_view .o_field_widget[name=impact]:contains(不锈钢保温杯)",
      },
      omsScreenshot("reviewer-change-request", ".o_form_view"),
      {
        content: "approve and apply",
        trigger: ".o_form_view button[name=action_approve]",
        run: "click",
      },
      stageIs("state", "applied"),
      {
        content: "open the order",
        trigger: ".o_form_view button[name=action_open_order]",
        run: "click",
      },
      stageIs("oms_stage", "approved"),
      omsScreenshot("reviewer-change-applied", ".o_form_view"),
    ]),
});
