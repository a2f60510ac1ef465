/** @odoo-module **/
/**
 * Promise and foresight (runs in zh_CN).
 * Salesperson: enters a quotation and sees its promised ship date before
 * saving. Manager: runs the what-if of a new rule, then activates it.
 * Data: oms_core/tests/test_tour_promise.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, omsSteps} from "./oms_tour_utils";

const CUSTOMER = "江南家居有限公司";
const PRODUCT = "青花瓷茶具";

registry.category("web_tour.tours").add("oms_promise_sales_tour", {
  steps: () =>
    omsSteps([
      {
        content: "choose the customer",
        trigger: ".o_form_view .o_field_widget[name=partner_id] input",
        run: `edit ${CUSTOMER}`,
      },
      {
        content: "pick it",
        trigger: `.o-autocomplete--dropdown-item:contains(${CUSTOMER})`,
        run: "click",
      },
      {
        content: "add a line",
        trigger: ".o_field_x2many_list_row_add a",
        run: "click",
      },
      {
        content: "choose the product",
        trigger:
          ".o_data_row .o_field_widget[name=product_template_id] input, .o_data_row .o_field_widget[name=product_id] input",
        run: `edit ${PRODUCT}`,
      },
      {
        content: "pick it",
        trigger: `.o-autocomplete--dropdown-item:contains(${PRODUCT})`,
        run: "click",
      },
      {
        content: "type 8 units: more than in stock",
        trigger: ".o_data_row .o_field_widget[name=product_uom_qty] input",
        run: "edit 8",
      },
      {
        content: "leave the line",
        trigger: ".o_form_view .o_field_widget[name=partner_id] input",
        run: "click",
      },
      {
        content: "the promised ship date is shown before saving",
        trigger:
          ".o_form_view .o_group .o_field_widget[name=oms_promised_date] span:not(:empty)",
      },
      omsScreenshot(
        "sales-promised-date",
        ".o_form_view .o_group .o_field_widget[name=oms_promised_date]"
      ),
      {
        content: "save the quotation",
        trigger: ".o_form_view .o_form_button_save",
        run: "click",
      },
      {
        content: "saved",
        trigger: ".o_form_view .o_form_saved",
      },
    ]),
});

registry.category("web_tour.tours").add("oms_what_if_tour", {
  steps: () =>
    omsSteps([
      {
        content: "what if the rule were live",
        trigger: ".o_form_view button[name=action_open_what_if]",
        run: "click",
      },
      {
        content: "replay it over the last 30 days",
        trigger: ".modal button[name=action_run]",
        run: "click",
      },
      {
        content: "it would have held one order of the two",
        trigger: ".modal .o_field_widget[name=would_hold]:contains(1)",
      },
      {
        content: "touchless rate after it",
        trigger: ".modal .o_field_widget[name=touchless_rate_after]:contains(50)",
      },
      omsScreenshot("manager-what-if", ".modal .o_field_widget[name=held_order_ids]"),
      {
        content: "activate the rule",
        trigger: ".modal button[name=action_activate_rule]",
        run: "click",
      },
      {
        content: "the rule is live: no archived ribbon",
        trigger: "body:not(:has(.modal)) .o_form_view:not(:has(.ribbon))",
      },
    ]),
});
