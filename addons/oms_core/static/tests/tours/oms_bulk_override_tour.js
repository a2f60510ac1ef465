/** @odoo-module **/
/**
 * Reviewer: in the hold queue, select two exceptions, override both with one
 * reason, read the outcome and go on with the next exception, whose form
 * shows what its type needs (a credit hold: the customer's credit, no
 * substitute product). Data: oms_core/tests/test_tour_bulk_override.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, openMenu, omsSteps} from "./oms_tour_utils";

const FIRST = "BULK-A";
const SECOND = "BULK-B";
const NEXT = "BULK-C";

registry.category("web_tour.tours").add("oms_bulk_override_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_orders_root",
        "oms_core.oms_core_menu_hold_queue"
      ),
      {
        content: "select the first exception",
        trigger: `.o_data_row:contains(${FIRST}) .o_list_record_selector input`,
        run: "click",
      },
      {
        content: "select the second exception",
        trigger: `.o_data_row:contains(${SECOND}) .o_list_record_selector input`,
        run: "click",
      },
      {
        content: "override the selected exceptions",
        trigger: ".o_control_panel button[name=action_open_override]",
        run: "click",
      },
      {
        content: "give one reason for both",
        trigger: ".modal .o_field_widget[name=note] textarea",
        run: "edit Stock arriving tomorrow, customer agreed",
      },
      {
        content: "confirm the override",
        trigger: ".modal button[name=action_confirm]",
        run: "click",
      },
      {
        content: "the outcome says what became of both orders",
        trigger: `.o_notification:contains(${FIRST}):contains(${SECOND})`,
      },
      omsScreenshot("reviewer-bulk-outcome", ".o_notification"),
      {
        content: "the queue goes on with the next exception",
        trigger: `.o_list_view:not(:has(.o_data_row:contains(${FIRST}))) .o_data_row:contains(${NEXT})`,
      },
      {
        content: "open the next exception",
        trigger: `.o_data_row:contains(${NEXT}) td[name=message]`,
        run: "click",
      },
      {
        content: "a credit hold shows the customer's credit and invoices",
        trigger: ".o_form_view .o_field_widget[name=credit_limit]",
      },
      {
        content: "and offers no substitute product",
        trigger:
          ".o_form_view:not(:has(button[name=action_open_substitute])) button[name=action_open_invoices]",
      },
      omsScreenshot("reviewer-credit-context", ".o_form_view"),
    ]),
});
