/** @odoo-module **/
/**
 * Reviewer (runs in zh_CN): hold queue -> order held for credit -> override
 * with a reason -> the outcome is told and the next exception of the queue
 * opens -> back to the overridden one: the order is confirmed.
 * Data: oms_core/tests/test_tour_reviewer.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, openMenu, stageIs, omsSteps} from "./oms_tour_utils";

const CUSTOMER = "华东贸易有限公司";

registry.category("web_tour.tours").add("oms_reviewer_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_orders_root",
        "oms_core.oms_core_menu_hold_queue"
      ),
      {
        content: "the hold queue is a list of the open exceptions by deadline",
        trigger: ".o_list_view:not(:has(.o_group_header)) .o_data_row",
      },
      omsScreenshot("reviewer-hold-queue", `.o_data_row:contains(${CUSTOMER})`),
      {
        content: "open the exception of the order held for credit",
        trigger: `.o_data_row:contains(${CUSTOMER}) td[name=message]`,
        run: "click",
      },
      stageIs("state", "open"),
      {
        content: "override",
        trigger: ".o_form_view button[name=action_open_override]",
        run: "click",
      },
      {
        content: "give the reason",
        trigger: ".modal .o_field_widget[name=note] textarea",
        run: "edit 客户已预付 50% 货款，信用风险可控",
      },
      omsScreenshot("reviewer-override", ".modal .o_field_widget[name=note] textarea"),
      {
        content: "confirm the override",
        trigger: ".modal button[name=action_confirm]",
        run: "click",
      },
      {
        content: "the wizard is closed and the outcome is told",
        trigger: "body:not(:has(.modal)) .o_notification",
      },
      {
        content: "the next exception of the queue opens",
        trigger: `.o_form_view .o_field_widget[name=partner_id]:not(:contains(${CUSTOMER}))`,
      },
      stageIs("state", "open"),
      {
        content: "back to the overridden exception",
        trigger: ".o_breadcrumb li.o_back_button",
        run: "click",
      },
      {
        content: "the overridden exception is shown again",
        trigger: `.o_form_view .o_field_widget[name=partner_id]:contains(${CUSTOMER})`,
      },
      stageIs("state", "overridden"),
      {
        content: "open the order",
        trigger: ".o_form_view button[name=action_open_order]",
        run: "click",
      },
      stageIs("oms_stage", "approved"),
      {
        content: "the order is a confirmed sales order now",
        trigger: `.o_form_view .o_field_widget[name=partner_id]:contains(${CUSTOMER})`,
      },
      omsScreenshot("reviewer-order-confirmed", ".o_form_view"),
    ]),
});
