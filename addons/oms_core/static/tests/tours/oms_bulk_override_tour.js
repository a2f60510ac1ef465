/** @odoo-module **/
/**
 * Reviewer: in the hold queue, select two exceptions, override both with one
 * reason, read the outcome and go on with the next exception, whose form
 * shows what its type needs (a credit hold: the customer's credit, no
 * substitute product); override that one from its form: the outcome is told
 * and the next exception of the queue opens.
 * Data: oms_core/tests/test_tour_bulk_override.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, openMenu, omsSteps, stageIs} from "./oms_tour_utils";

const FIRST = "BULK-A";
const SECOND = "BULK-B";
const NEXT = "BULK-C";
const LAST = "BULK-D";

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
      {
        content: "override the credit hold from its form",
        trigger: ".o_form_view button[name=action_open_override]",
        run: "click",
      },
      {
        content: "give the reason",
        trigger: ".modal .o_field_widget[name=note] textarea",
        run: "edit Prepayment received",
      },
      {
        content: "confirm the override",
        trigger: ".modal button[name=action_confirm]",
        run: "click",
      },
      {
        content: "the outcome says the order is confirmed",
        trigger: `.o_notification:contains(${NEXT})`,
      },
      {
        content: "the next exception of the queue opens",
        trigger: `.o_form_view .o_field_widget[name=order_id]:contains(${LAST})`,
      },
      stageIs("state", "open"),
    ]),
});
