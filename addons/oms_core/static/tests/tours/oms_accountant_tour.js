/** @odoo-module **/
/**
 * Accountant: the invoice created for what was delivered (3 of 5), paid.
 * Data: oms_core/tests/test_tour_accountant.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, openMenu, omsSteps} from "./oms_tour_utils";

const CUSTOMER = "Hangzhou Retail Co.";

registry.category("web_tour.tours").add("oms_accountant_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "account.menu_finance",
        "account.menu_finance_receivables",
        "account.menu_action_move_out_invoice_type"
      ),
      {
        content: "open the invoice of the delivery",
        trigger: `.o_list_view .o_data_row:contains(${CUSTOMER}) td[name=invoice_partner_display_name]`,
        run: "click",
      },
      {
        content: "invoiced: the 3 units delivered",
        trigger:
          ".o_field_widget[name=invoice_line_ids] .o_data_row td[name=quantity]:contains(3.00)",
      },
      omsScreenshot(
        "accountant-invoice",
        ".o_field_widget[name=invoice_line_ids] .o_data_row"
      ),
      {
        content: "register the payment",
        trigger: ".o_form_view button[name=action_register_payment]",
        run: "click",
      },
      {
        content: "create it",
        trigger: ".modal button[name=action_create_payments]",
        run: "click",
      },
      {
        content: "the invoice is paid (ribbon)",
        trigger: "body:not(:has(.modal)) .o_form_view .ribbon",
      },
      omsScreenshot("accountant-paid", ".o_form_view .ribbon"),
    ]),
});
