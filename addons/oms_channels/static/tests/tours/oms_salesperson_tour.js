/** @odoo-module **/
/**
 * Salesperson: a phone order for a VIP customer shows the urgent priority, and
 * the review result once reviewed. Data: oms_channels/tests/test_tour_salesperson.py
 */
import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";
import {
  omsScreenshot,
  openMenu,
  stageIs,
  omsSteps,
} from "@oms_core/../tests/tours/oms_tour_utils";

const CUSTOMER = "Zhang Wei (VIP)";
const CHANNEL = "Phone Hotline";
const PRODUCT = "Green Tea Gift Box";

function pickInDropdown(field, text) {
  return [
    {
      content: `type ${text} in ${field}`,
      trigger: `.o_field_widget[name=${field}] input`,
      run: `edit ${text}`,
    },
    {
      content: `pick ${text}`,
      trigger: `.o-autocomplete--dropdown-item:contains(${text})`,
      run: "click",
    },
  ];
}

registry.category("web_tour.tours").add("oms_salesperson_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_orders_root",
        "oms_core.oms_core_menu_orders"
      ),
      {
        content: "new order",
        trigger: ".o_list_button_add",
        run: "click",
      },
      ...pickInDropdown("partner_id", CUSTOMER),
      {
        content: "the channel is under Other Info",
        trigger: ".o_notebook a[name=other_information]",
        run: "click",
      },
      ...pickInDropdown("oms_channel_id", CHANNEL),
      {
        content: "a VIP customer makes the order urgent: two stars",
        trigger:
          ".o_field_widget[name=oms_priority] .o_priority_star.fa-star + .o_priority_star.fa-star",
      },
      {
        content: "back to the order lines",
        trigger: ".o_notebook a[name=order_lines]",
        run: "click",
      },
      {
        content: "add a product",
        trigger: ".o_field_x2many_list_row_add a",
        run: "click",
      },
      ...pickInDropdown("product_template_id", PRODUCT),
      {
        content: "quantity",
        trigger: ".o_data_row .o_field_widget[name=product_uom_qty] input",
        run: "edit 3",
      },
      ...stepUtils.saveForm(),
      {
        content: "review the order",
        trigger: ".o_form_view button[name=action_oms_review]",
        run: "click",
      },
      stageIs("oms_stage", "approved"),
      {
        content: "open the review tab",
        trigger: ".o_notebook a[name=oms_review]",
        run: "click",
      },
      {
        content: "approved without anybody touching it",
        trigger: ".o_field_widget[name=oms_auto_approved] input:checked",
      },
      {
        content: "the warning of the review is listed",
        trigger: ".o_field_widget[name=oms_exception_ids] .o_data_row",
      },
      omsScreenshot(
        "salesperson-order-reviewed",
        ".o_field_widget[name=oms_exception_ids] .o_data_row"
      ),
    ]),
});
