/** @odoo-module **/
/**
 * Approvals in two levels (run in zh_CN): a reviewer approves the first level of
 * a large order, then a manager approves the second and the order is confirmed.
 * Data: oms_core/tests/test_tour_review_tiers.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, openMenu, stageIs, omsSteps} from "./oms_tour_utils";

const CUSTOMER = "华南电器有限公司";
const LEVEL_1 = "审核员审批";
const LEVEL_2 = "经理审批";

/** Hold queue -> the order's exception at ``level`` -> override with ``reason``. */
function approveLevel(level, reason) {
  return [
    ...openMenu(
      "oms_core.oms_core_menu_root",
      "oms_core.oms_core_menu_orders_root",
      "oms_core.oms_core_menu_hold_queue"
    ),
    {
      content: "the hold queue is a list of the open exceptions by deadline",
      trigger: ".o_list_view:not(:has(.o_group_header)) .o_data_row",
    },
    {
      content: `the exception shows its level ${level}`,
      trigger: `.o_data_row:contains(${CUSTOMER}) td[name=tier_id]:contains(${level})`,
    },
    {
      content: "open the exception of the large order",
      trigger: `.o_data_row:contains(${CUSTOMER}) td[name=message]`,
      run: "click",
    },
    stageIs("state", "open"),
    {
      content: `the level to approve is ${level}`,
      trigger: `.o_form_view .o_field_widget[name=tier_id]:contains(${level})`,
    },
    {
      content: "override (approve this level)",
      trigger: ".o_form_view button[name=action_open_override]",
      run: "click",
    },
    {
      content: "give the reason",
      trigger: ".modal .o_field_widget[name=note] textarea",
      run: `edit ${reason}`,
    },
    {
      content: "confirm",
      trigger: ".modal button[name=action_confirm]",
      run: "click",
    },
    {
      content: "the wizard is closed",
      trigger: "body:not(:has(.modal))",
    },
  ];
}

registry.category("web_tour.tours").add("oms_tier_reviewer_tour", {
  steps: () =>
    omsSteps([
      ...approveLevel(LEVEL_1, "老客户，订单真实"),
      stageIs("state", "open"),
      {
        content: "the exception now awaits the manager's level",
        trigger: `.o_form_view .o_field_widget[name=tier_id]:contains(${LEVEL_2})`,
      },
      {
        content: "the first approval is recorded",
        trigger: ".o_form_view .o_field_widget[name=approval_ids] .o_data_row",
      },
      omsScreenshot("reviewer-tier-level-2", ".o_form_view"),
    ]),
});

registry.category("web_tour.tours").add("oms_tier_manager_tour", {
  steps: () =>
    omsSteps([
      ...approveLevel(LEVEL_2, "毛利符合要求，同意"),
      stageIs("state", "overridden"),
      {
        content: "both approvals are recorded",
        trigger:
          ".o_form_view .o_field_widget[name=approval_ids] .o_data_row:nth-child(2)",
      },
      omsScreenshot("manager-tier-approved", ".o_form_view"),
      {
        content: "open the order",
        trigger: ".o_form_view button[name=action_open_order]",
        run: "click",
      },
      stageIs("oms_stage", "approved"),
    ]),
});
